"""``new Date(string)`` as production's V8 reads it (issue #19 item 4): a string V8 accepts as a
date is a date (future: delayed until then; past: not delayed) and never a duration.

``V8`` is V8's own answer for each string (``new Date(s).getTime()``, TZ=UTC, ``None`` for
NaN), taken by running Node 20 and Node 24 (production's) on them: identical in both. When
``node`` is installed, ``test_the_table_is_what_v8_says`` asks it again, so the table cannot
drift from V8."""

import json
import os
import shutil
import subprocess
from datetime import datetime, timezone

import pytest

from trigger_emulator.core import js_date

V8 = [
    ("Tue, 01 Jan 2030 00:00:00 GMT", 1893456000000),
    ("2030/01/01", 1893456000000),
    ("Jan 1 2030", 1893456000000),
    ("2030-1-1", 1893456000000),
    ("20300101", None),
    ("2030-01-01", 1893456000000),
    ("2030-01-01T00:00:00Z", 1893456000000),
    ("2030-01-01T00:00:00", 1893456000000),
    ("2030-01-01 00:00", 1893456000000),
    ("2030-01-01T00:00:00.000+02:00", 1893448800000),
    ("1 Jan 2030", 1893456000000),
    ("January 1, 2030 10:00", 1893492000000),
    ("2030-13-01", None),
    ("2030-02-30", 1898640000000),
    ("1h", None),
    ("10s", None),
    ("2030", 1893456000000),
    ("30", None),
    ("Jan 2030", 1893456000000),
    ("2030-01", 1893456000000),
    ("Mon Jan 01 2030", 1893456000000),
    ("01/02/2030", 1893542400000),
    ("1/2/2030 3:04 PM", 1893596640000),
    ("2030-01-01T25:00:00Z", None),
    ("  2030-01-01  ", 1893456000000),
    ("2030-01-01Z", 1893456000000),
    ("+002030-01-01T00:00:00Z", 1893456000000),
    ("Tuesday, January 1, 2030", 1893456000000),
    ("12/31/2029 23:59:59 GMT+0100", 1893452399000),
    ("2030.01.01", 1893456000000),
    ("0s", None),
    ("1m", None),
    ("1w", None),
    ("2h30m", None),
    ("1hr", None),
    ("1m1m", None),
    ("1d 2h", None),
    ("1.5h", None),
    ("-1h", None),
    ("1", 978307200000),
    ("12", 1007164800000),
    ("13", None),
    ("32", 1956528000000),
    ("49", 2493072000000),
    ("50", -631152000000),
    ("99", 915148800000),
    ("100", -59011459200000),
    ("1000", -30610224000000),
    ("99999", 3093496444800000),
    ("275760-09-13", 8640000000000000),
    ("2030-01-01T00:00:00.000000Z", 1893456000000),
    ("2030-01-01T00:00Z", 1893456000000),
    ("2030-01-01T24:00:00Z", 1893542400000),
    ("2030-01-01T00:00:00+0200", 1893448800000),
    ("2030-01-01T00:00:00 GMT", None),
    ("2030-01-01 00:00:00 UTC", 1893456000000),
    ("2030-01-01T00:00:00.123456789Z", 1893456000123),
    ("2030-1-1T00:00:00Z", None),
    ("2030-01-1", 1893456000000),
    ("2030-02-29", 1898553600000),
    ("2030-02-31", 1898726400000),
    ("2030-04-31", 1903824000000),
    ("Jan 32 2030", None),
    ("Feb 30 2030", 1898640000000),
    ("2030 Jan 1", 1893456000000),
    ("1 January 2030 10:00 pm", 1893535200000),
    ("1 January 2030 13:00 pm", None),
    ("Jan 1, 2030 10:00:00 EST", 1893510000000),
    ("Jan 1, 2030 10:00:00 PDT", 1893517200000),
    ("Jan 1 2030 10:00 +0530", 1893472200000),
    ("Jan 1 2030 10:00 UTC+5", 1893474000000),
    ("Jan 1 2030 10:00 z", 1893492000000),
    ("now", None),
    ("today", None),
    ("tomorrow", None),
    ("in 1 hour", None),
    ("next monday", None),
    ("1/1", 978307200000),
    ("1/1/30", 1893456000000),
    ("1/1/50", -631152000000),
    ("1/1/49", 2493072000000),
    ("1/1/100", -59011459200000),
    ("Sat, 01 Jan 2030 00:00:00 GMT", 1893456000000),
    ("Foo 1 2030", None),
    ("2030-01-01T00:00:00Z garbage", None),
    ("(comment) Jan 1 2030", 1893456000000),
    ("Jan 1 2030 (comment)", 1893456000000),
    ("T10:00", None),
    ("10:00", None),
    ("10:00 2030-01-01", 1893492000000),
    ("2030-01-01T10", None),
    ("2030-01-01T10Z", None),
    ("2030-01-01 T10:00", None),
    ("Z", None),
    ("2030-W01", None),
    ("2030-001", 1893456000000),
    ("2029-12-31T23:59:60Z", None),
    ("-002030-01-01T00:00:00Z", -126227808000000),
    ("002030-01-01", 1893456000000),
    ("+2030-01-01", 1893456000000),
    ("Dec 25, 2029", 1892851200000),
    ("25 Dec 2029 12:00", 1892894400000),
    ("2029-12-25 12:00 GMT-0800", 1892923200000),
]

@pytest.mark.parametrize("text, expected", V8, ids=[json.dumps(s) for s, _ in V8])
def test_parser_answers_what_v8_answers(text, expected):
    assert js_date.parse(text) == expected


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_table_is_what_v8_says():
    script = ("const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(xs.map(s => { const t = new Date(s).getTime(); "
              "return Number.isNaN(t) ? null : t; })))")
    done = subprocess.run([shutil.which("node"), "-e", script], input=json.dumps([s for s, _ in V8]), capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [expected for _, expected in V8]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_random_strings_parse_as_in_v8():
    """Strings made of date-ish pieces (words, zones, signs, parentheses, odd spaces) against
    the installed V8: a parser that only knows the table would fail here."""
    import random

    rng = random.Random(19)
    atoms = ["2030", "1", "12", "31", "32", "99", "100", "0", "01", "002030", "+002030", "-000000", "-", "+", ":",
             ".", "/", ",", " ", "T", "Z", "GMT", "UTC", "EST", "pdt", "am", "PM", "Jan", "january", "Dec", "Mon",
             "(x)", ")", "x", "é", "\u00a0", "\u2028", "24", "60", "59", "999", "1234", "0530", "+05", "-0800",
             "10:00", "10:00:00.5", "2030-01-01", "01/02/2030", "T10:00"]
    texts = ["".join(rng.choice(atoms) for _ in range(rng.randint(1, 7))) for _ in range(3000)]
    script = ("const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(xs.map(s => { const t = new Date(s).getTime(); "
              "return Number.isNaN(t) ? null : t; })))")
    done = subprocess.run([shutil.which("node"), "-e", script], input=json.dumps(texts), capture_output=True, text=True,
                          timeout=60, env={**os.environ, "TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    wrong = [(t, v8) for t, v8 in zip(texts, json.loads(done.stdout)) if js_date.parse(t) != v8]
    assert wrong == []


# Over the wire: the trigger's delay (dates far enough ahead to stay in the future).
WIRE = [
    ("Tue, 01 Jan 2099 00:00:00 GMT", "2099-01-01T00:00:00.000Z"),  # RFC 1123
    ("Jan 1 2099", "2099-01-01T00:00:00.000Z"),
    ("2099-02-30", "2099-03-02T00:00:00.000Z"),  # day overflows into March
    ("49", "2049-01-01T00:00:00.000Z"),  # a bare 32..49 is a year
    ("30", None),  # NaN as a date and not a duration: no delay
    ("20990101", None),
    ("2099-01-01T10", None),  # broken ISO time: NaN, no legacy fallback
    ("1 January 2099 10:00 pm", "2099-01-01T22:00:00.000Z"),
    ("2099-12-25 12:00 GMT-0800", "2099-12-25T20:00:00.000Z"),
    ("1/1/50", None),  # 1950: a past date is no delay
]


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def trigger_and_get(api, options):
    run_id = api.post("/api/v1/tasks/t/trigger", json={"options": options}).json()["id"]
    return api.get(f"/api/v3/runs/{run_id}").json()


@pytest.mark.parametrize("delay, delayed_until", WIRE, ids=[d for d, _ in WIRE])
def test_trigger_delay_reads_strings_like_v8(api, delay, delayed_until):
    run = trigger_and_get(api, {"delay": delay})
    if delayed_until is None:
        assert run["status"] == "QUEUED" and "delayedUntil" not in run
    else:
        assert run["status"] == "DELAYED" and run["delayedUntil"] == delayed_until


def test_a_string_v8_rejects_as_a_date_is_tried_as_a_duration(api):
    run = trigger_and_get(api, {"delay": "1h"})
    created = datetime.fromisoformat(run["createdAt"].replace("Z", "+00:00"))
    assert run["delayedUntil"] == iso((created.timestamp() + 3600) * 1000)


@pytest.mark.parametrize("delay, delayed_until", [
    (None, "1970-01-01T00:00:00.000Z"),  # zod coerces null to new Date(null)
    (True, "1970-01-01T00:00:00.001Z"),
    (4102444800000, "2100-01-01T00:00:00.000Z"),
    ([2099], "2099-01-01T00:00:00.000Z"),  # String([2099]) is "2099"
])
def test_non_string_delays_are_coerced_dates_kept_even_when_past(api, delay, delayed_until):
    run = trigger_and_get(api, {"delay": delay})
    assert run["delayedUntil"] == delayed_until
    # a past coerced date is DELAYED and enqueued at once (its TTL counts from now, not 1970)
    assert run["status"] == ("DELAYED" if delayed_until > "2099" else "QUEUED")


def test_a_delay_past_js_dates_is_a_validation_error(api):
    r = api.post("/api/v1/tasks/t/trigger", json={"options": {"delay": 9e15}})
    assert (r.status_code, r.json()) == (400, {"error": 'Validation error: Expected string, received number at '
                                                        '"options.delay", or Invalid date at "options.delay"'})


def test_reschedule_reads_dates_like_v8(api):
    run_id = api.post("/api/v1/tasks/t/trigger", json={"options": {"delay": "1h"}}).json()["id"]
    r = api.post(f"/api/v1/runs/{run_id}/reschedule", json={"delay": "Jan 1 2099"})
    assert (r.status_code, r.json()["delayedUntil"]) == (200, "2099-01-01T00:00:00.000Z")
    for bad in ("20990101", "1/1/50", ""):
        r = api.post(f"/api/v1/runs/{run_id}/reschedule", json={"delay": bad})
        assert (r.status_code, r.json()) == (400, {"error": f"Invalid delay: {bad}"})
