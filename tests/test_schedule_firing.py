"""Schedules fire on the emulator clock (management.md §3.11-3.12): one run per nominal tick the
clock passes, in order, with production's payload; DST in the schedule's timezone."""

import contextlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

SCHEDULES = "/api/v1/schedules"


def utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamps(runs):
    return [r.payload["timestamp"] for r in runs]


@pytest.fixture
def frozen():
    """``frozen(at)`` starts the clock at ``at`` (the emulator clock never moves backwards, and
    these dates are in the past)."""
    with contextlib.ExitStack() as stack:
        yield lambda at: stack.enter_context(freeze_time(at, real_asyncio=True))


@pytest.fixture
def prod(emu, frozen):
    """A production key (no development TTL, so fired runs stay QUEUED); ``prod.start(at)``."""
    emu.configure(environment="prod", new_key=True)
    emu.start_at = frozen
    return emu


def test_a_week_of_an_hourly_cron_fires_168_runs_in_order_in_one_request(prod):
    prod.start_at("2025-01-06T00:30:00Z")
    with prod.client() as client:
        made = client.post(SCHEDULES, json={"task": "hourly", "cron": "0 * * * *", "deduplicationKey": "h"}).json()
        response = client.post("/__emulator/clock", json={"advance": "7d"})
        assert response.status_code == 200
    runs = prod.runs("hourly")
    assert len(runs) == 168
    expected = [(utc("2025-01-06T01:00:00Z") + timedelta(hours=i)) for i in range(168)]
    assert [r.created_at for r in runs] == expected
    assert stamps(runs) == [t.strftime("%Y-%m-%dT%H:%M:%S.000Z") for t in expected]
    assert runs[0].payload["lastTimestamp"] is None
    assert [r.payload["lastTimestamp"] for r in runs[1:]] == stamps(runs[:-1])
    assert {r.status for r in runs} == {"QUEUED"}
    assert all(r.payload["scheduleId"] == made["id"] for r in runs)


def test_the_payload_is_productions(prod):
    prod.start_at("2025-03-08T12:00:00Z")
    with prod.client() as client:
        made = client.post(SCHEDULES, json={"task": "ny", "cron": "0 2 * * *", "deduplicationKey": "ny",
                                            "timezone": "America/New_York"}).json()
        prod.advance(days=2)
        runs = prod.runs("ny")
        assert [r.created_at for r in runs] == [utc("2025-03-09T07:00:00Z"), utc("2025-03-10T06:00:00Z")]
        assert runs[1].payload_type == "application/super+json"
        retrieved = client.get(f"/api/v3/runs/{runs[1].id}").json()
    upcoming = ["2025-03-11T06:00:00.000Z", "2025-03-12T06:00:00.000Z", "2025-03-13T06:00:00.000Z",
                "2025-03-14T06:00:00.000Z", "2025-03-15T06:00:00.000Z", "2025-03-16T06:00:00.000Z",
                "2025-03-17T06:00:00.000Z", "2025-03-18T06:00:00.000Z", "2025-03-19T06:00:00.000Z",
                "2025-03-20T06:00:00.000Z"]
    assert retrieved["payload"] == {
        "scheduleId": made["id"], "type": "IMPERATIVE", "timestamp": "2025-03-10T06:00:00.000Z",
        "lastTimestamp": "2025-03-09T07:00:00.000Z", "externalId": None, "timezone": "America/New_York",
        "upcoming": upcoming,
    }
    assert list(retrieved["payload"]) == ["scheduleId", "type", "timestamp", "lastTimestamp", "externalId", "timezone", "upcoming"]
    assert retrieved["schedule"] == {"id": made["id"], "deduplicationKey": "ny", "generator": made["generator"]}
    assert retrieved["createdAt"] == "2025-03-10T06:00:00.000Z"
    assert "idempotencyKey" not in retrieved and retrieved["tags"] == []


def test_the_stored_packet_bytes(prod):
    from trigger_emulator.core.records import Run  # noqa: F401 - the payload is stored superjson

    prod.start_at("2025-01-01T00:00:00Z")
    made = prod.schedule("daily", "0 0 * * *")
    prod.advance(days=1)
    record = prod._call(prod.services.runs.all(task="daily"))[0]
    packet = json.loads(record.payload)
    assert packet["json"]["scheduleId"] == made.id and packet["json"]["type"] == "DECLARATIVE"
    meta = packet["meta"]["values"]
    assert meta["timestamp"] == ["Date"] and meta["lastTimestamp"] == ["undefined"] and meta["externalId"] == ["undefined"]
    assert [meta[f"upcoming.{i}"] for i in range(10)] == [["Date"]] * 10
    assert record.payload.startswith('{"json":{"scheduleId":')


def test_list_runs_by_schedule(prod):
    prod.start_at("2025-01-01T00:00:00Z")
    with prod.client() as client:
        a = client.post(SCHEDULES, json={"task": "t", "cron": "0 * * * *", "deduplicationKey": "a"}).json()
        client.post(SCHEDULES, json={"task": "t", "cron": "30 * * * *", "deduplicationKey": "b"})
        prod.advance(hours=3)
        listed = client.get("/api/v1/runs", params={"filter[schedule]": a["id"]}).json()["data"]
    assert len(listed) == 3 and len(prod.runs("t")) == 6


def test_deactivated_and_deleted_schedules_stop_firing(prod):
    prod.start_at("2025-01-01T00:00:00Z")
    with prod.client() as client:
        made = client.post(SCHEDULES, json={"task": "t", "cron": "0 * * * *", "deduplicationKey": "a"}).json()
        prod.advance(hours=2)
        client.post(f"{SCHEDULES}/{made['id']}/deactivate")
        prod.advance(hours=5)
        assert len(prod.runs("t")) == 2
        client.post(f"{SCHEDULES}/{made['id']}/activate")
        prod.advance(minutes=90)
        runs = prod.runs("t")
        assert stamps(runs)[-1] == "2025-01-01T08:00:00.000Z"
        assert runs[-1].payload["lastTimestamp"] == "2025-01-01T02:00:00.000Z"  # skipped ticks do not count
        client.delete(f"{SCHEDULES}/{made['id']}")
        prod.advance(hours=5)
    assert len(prod.runs("t")) == 3


def test_update_of_the_cron_moves_the_next_fire(prod):
    prod.start_at("2025-01-01T00:10:00Z")
    with prod.client() as client:
        made = client.post(SCHEDULES, json={"task": "t", "cron": "0 * * * *", "deduplicationKey": "a"}).json()
        client.put(f"{SCHEDULES}/{made['id']}", json={"task": "t", "cron": "30 * * * *"})
        prod.advance(hours=1)
    assert stamps(prod.runs("t")) == ["2025-01-01T00:30:00.000Z"]


def test_runs_interleave_with_transitions_in_time_order(emu, frozen):
    """In development, scheduled runs get the 10-minute default TTL: each expires at its own
    nominal time plus 10 minutes, whatever the size of the clock jump."""
    frozen("2025-01-01T00:00:00Z")
    emu.schedule("dev-task", "0 * * * *")
    emu.advance(hours=3, minutes=5)
    runs = emu.runs("dev-task")
    assert [r.status for r in runs] == ["EXPIRED", "EXPIRED", "QUEUED"]
    assert [r.expired_at for r in runs[:2]] == [utc("2025-01-01T01:10:00Z"), utc("2025-01-01T02:10:00Z")]


# The contract's DST table (management.md §3.11): cron, timezone, from (exclusive), fires.
DST = [
    ("0 2 * * *", "America/New_York", "2025-03-08T12:00:00Z",
     ["2025-03-09T07:00:00Z", "2025-03-10T06:00:00Z", "2025-03-11T06:00:00Z"]),
    ("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", ["2025-03-09T07:30:00Z", "2025-03-10T06:30:00Z"]),
    ("30 * * * *", "America/New_York", "2025-03-09T05:45:00Z",
     ["2025-03-09T06:30:00Z", "2025-03-09T07:30:00Z", "2025-03-09T08:30:00Z"]),
    ("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z",
     ["2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z", "2025-11-04T06:30:00Z"]),
    ("0 * * * *", "America/New_York", "2025-11-02T04:30:00Z",
     ["2025-11-02T05:00:00Z", "2025-11-02T06:00:00Z", "2025-11-02T07:00:00Z", "2025-11-02T08:00:00Z"]),
    ("0 1 * * *", "Europe/London", "2025-03-29T12:00:00Z",
     ["2025-03-30T01:00:00Z", "2025-03-31T00:00:00Z", "2025-04-01T00:00:00Z"]),
    ("30 1 * * *", "Europe/London", "2025-10-25T12:00:00Z",
     ["2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z", "2025-10-28T01:30:00Z"]),
]


@pytest.mark.parametrize("cron, tz, start, fires", DST, ids=[f"{c} {t} {s[:10]}" for c, t, s, _ in DST])
def test_clock_across_dst_fires_productions_times(prod, cron, tz, start, fires):
    prod.start_at(start)
    with prod.client() as client:
        made = client.post(SCHEDULES, json={"task": "dst", "cron": cron, "deduplicationKey": "d", "timezone": tz}).json()
    assert made["nextRun"] == fires[0].replace(":00Z", ":00.000Z")
    prod.clock.set(utc(fires[-1]) + timedelta(minutes=1))
    runs = prod.runs("dst")
    assert [r.created_at for r in runs] == [utc(f) for f in fires]
    assert [r.payload["timezone"] for r in runs] == [tz] * len(fires)


def test_packets_equal_schedule_rules_scheduled_run(prod):
    """The sliding ``upcoming`` of consecutive fires gives exactly the bytes the pure rules give."""
    from trigger_emulator.core import schedule_rules
    from trigger_emulator.core.durations import parse_date_ms

    prod.start_at("2025-03-08T00:00:00Z")
    made = prod.schedule("ny", "0 2 * * *", timezone="America/New_York")
    prod.advance(days=4)
    records = prod._call(prod.services.runs.all(task="ny"))
    assert len(records) == 4
    last = None
    for record in records:
        nominal = record.created_at
        expected = schedule_rules.scheduled_run(schedule_id=made.id, schedule_type="DECLARATIVE", cron="0 2 * * *",
                                                timezone="America/New_York", nominal_ms=nominal,
                                                last_timestamp_ms=last, external_id=None, now_ms=nominal)
        assert record.payload == expected.packet
        last = nominal
    assert [r.created_at for r in records[:2]] == [parse_date_ms("2025-03-08T07:00:00Z"), parse_date_ms("2025-03-09T07:00:00Z")]


def test_one_clock_move_fires_at_most_the_cap_then_skips_ahead(prod, monkeypatch):
    from trigger_emulator.service import schedules as service

    monkeypatch.setattr(service, "SCHEDULE_FIRES_PER_MOVE", 5)
    prod.start_at("2025-01-01T00:30:00Z")
    prod.schedule("capped", "0 * * * *")
    prod.advance(hours=10)
    assert stamps(prod.runs("capped")) == [f"2025-01-01T0{h}:00:00.000Z" for h in range(1, 6)]
    assert prod.schedules("capped")[0].next_run == utc("2025-01-01T11:00:00Z")
    prod.advance(hours=1)
    assert len(prod.runs("capped")) == 6
