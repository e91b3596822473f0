"""Schedule rules against the contract (management.md §3): every validation string, every DST
vector, the catch-up and the scheduled payload bytes.

Rows marked "cron-parser run" are not in the contract: they were produced by running the webapp's
locked `cron-parser` 4.9.0 (luxon 3.2.1) / `cronstrue` 2.21.0 on Node 20.20.2, to pin quirks the
contract's table does not reach.
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from trigger_emulator.core import schedule_rules as sr

HOUR = 3_600_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def isos(times: list[int]) -> list[str]:
    return [sr.iso(t) for t in times]


# --- §3.2.1 CronPattern -----------------------------------------------------------------------

SECONDS = "CRON expressions with seconds are not allowed"


@pytest.mark.parametrize("cron, reason", [
    # contract §3.2.1
    ("0 0 * * * *", SECONDS),
    ("0  0 * * *", SECONDS),
    (" 0 0 * * *", SECONDS),
    ("0 0 * * * ", SECONDS),
    ("", "CRON expression is required"),
    ("61 * * * *", "Constraint error, got value 61 expected range 0-59"),
    ("a * * * *", "Invalid characters, got value: a"),
    ("0 0 31 2 *", "Invalid explicit day of month definition"),
    ("0 0 * * 8", "Constraint error, got value 8 expected range 0-7"),
    ("0-70 * * * *", "Constraint error, got range 0-70 expected range 0-59"),
    ("*/0 * * * *", "Constraint error, cannot repeat at every 0 time."),
    # cron-parser run
    ("/5 * * * *", "Constraint error, got value -59 expected range 0-59"),
    ("5-3 * * * *", "Invalid range: 5-3"),
    ("--5 * * * *", "Invalid range: --5"),
    ("1-* * * * *", "Invalid range: 1-0-59"),
    ("1,,2 * * * *", "Invalid list value format"),
    ("*/5/2 * * * *", "Invalid repeat: 0-59/5/2"),
    ("*/-1 * * * *", "Constraint error, cannot repeat at every -1 time."),
    ("1/ * * * *", "Constraint error, cannot repeat at every 0 time."),
    ("061 * * * *", "Constraint error, got value 61 expected range 0-59"),
    ("0 24 * * *", "Constraint error, got value 24 expected range 0-23"),
    ("0 0 0 * *", "Constraint error, got value 0 expected range 1-31"),
    ("0 0 * 13 *", "Constraint error, got value 13 expected range 1-12"),
    ("0 0 L-2 * *", "Constraint error, got range NaN-2 expected range 1-31"),
    ("0 0 *? * *", "Constraint error, got range 1-NaN expected range 1-31"),
    ("1L * * * *", "Invalid characters, got value: 1L"),
    ("0 0 15W * *", "Invalid characters, got value: 15W"),
    ("½ * * * *", "Invalid characters, got value: ½"),
    ("0 0 * JANUARY *", 'Validation error, cannot resolve alias "uar"'),
    ("0 0 * * foo", 'Validation error, cannot resolve alias "foo"'),
    ("@DAILY", 'Validation error, cannot resolve alias "dai"'),
    ("0 0 * * 1#6", "Constraint error, invalid dayOfWeek occurrence number (#)"),
    ("0 0 * * #", "Constraint error, invalid dayOfWeek occurrence number (#)"),
    ("0 0 * * 1#2,3", "Constraint error, invalid dayOfWeek `#` and `,` special characters are incompatible"),
    ("0 0 * * 1/2#2", "Constraint error, invalid dayOfWeek `#` and `/` special characters are incompatible"),
    ("0 0 * * 1-2#2", "Constraint error, invalid dayOfWeek `#` and `-` special characters are incompatible"),
    ("0 0 * *", "Constraint error, got value 0 expected range 1-31"),  # 4 fields = hour dom month dow
    ("0\t0\t*\t*\t*\t*\t*", "Invalid cron expression"),
])
def test_invalid_cron_reason_is_cron_parsers_message(cron, reason):
    assert sr.validate_cron(cron) == reason
    assert sr.check_schedule(cron) == f"Invalid cron expression: {reason}"


@pytest.mark.parametrize("cron, described", [
    ("0 0 * * *", True), ("*/5 * * * *", True), ("0 0 L * *", True), ("0 0 * * 1L", True),
    ("0 0 ? * *", True), ("15 10 * JAN MON", True), ("0 0 * * 7", True), ("0 0 * * MON#2", True),
    ("1-10/3 * * * *", True), ("0 0 * * 0,7", True),
    # pass validation, then cronstrue throws -> 500 "Something went wrong, please try again."
    ("* * * *", False), ("@daily", False), ("@hourly", False), ("   ", False),
])
def test_accepted_crons_and_which_ones_cronstrue_rejects(cron, described):
    assert sr.validate_cron(cron) is None
    assert sr.check_schedule(cron) is None
    assert (sr.description(cron) is not None) is described


@pytest.mark.parametrize("cron, text", [
    ("0 0 * * *", "At 12:00 AM"),
    ("*/5 * * * *", "Every 5 minutes"),
    ("0 */2 * * *", "At 0 minutes past the hour, every 2 hours"),
    ("0 9 * * 1-5", "At 09:00 AM, Monday through Friday"),
    ("0 0 L * *", "At 12:00 AM, on the last day of the month"),
    ("0 0 * * 1L", "At 12:00 AM, on the last Monday of the month"),
    ("* * * * *", "Every minute"),
    ("0 * * * *", "Every hour"),
    ("30 * * * *", "At 30 minutes past the hour"),
    ("0 0 1 * 1", "At 12:00 AM, on day 1 of the month, and on Monday"),
    ("15 10 * JAN MON", "At 10:15 AM, only on Monday, only in January"),
    ("0 0 * * 7", "At 12:00 AM, only on Sunday"),
    # cronstrue run
    ("0 8-17 * * *", "Every hour, between 08:00 AM and 05:00 PM"),
    ("15,45 1-2 * * *", "At 15 and 45 minutes past the hour, between 01:00 AM and 02:59 AM"),
    ("0 12 1,15 * 5", "At 12:00 PM, on day 1 and 15 of the month, and on Friday"),
    ("5/15 * * * *", "Every 15 minutes, starting at 5 minutes past the hour"),
])
def test_description_is_cronstrues_wording(cron, text):
    assert sr.description(cron) == text


# --- §3.2 pipeline, zod issues, windows -------------------------------------------------------

WINDOW_SYNTAX = 'Schedule window must be a whole duration such as "30m" or "2h", or a percentage such as "30%"'
WINDOW_24H = "Schedule window duration cannot exceed 24 hours"
WINDOW_100 = "Schedule window percentage cannot exceed 100%"
BASE = {"task": "t", "cron": "0 * * * *", "deduplicationKey": "k1"}


def required(key):
    return {"code": "invalid_type", "expected": "string", "received": "undefined", "path": [key],
            "message": "Required"}


@pytest.mark.parametrize("body, create, issues", [
    ({"task": "t", "cron": "0 * * * *"}, True, [required("deduplicationKey")]),
    ({**BASE, "window": "1d"}, True, [{"code": "custom", "message": WINDOW_SYNTAX, "path": ["window"]}]),
    ({**BASE, "window": "25h"}, True, [{"code": "custom", "message": WINDOW_24H, "path": ["window"]}]),
    ({**BASE, "window": "1441m"}, True, [{"code": "custom", "message": WINDOW_24H, "path": ["window"]}]),
    ({**BASE, "window": "101%"}, True, [{"code": "custom", "message": WINDOW_100, "path": ["window"]}]),
    ({**BASE, "window": 30}, True, [{"code": "invalid_type", "expected": "string", "received": "number",
                                     "path": ["window"], "message": "Expected string, received number"}]),
    ({**BASE, "timezone": None}, True, [{"code": "invalid_type", "expected": "string", "received": "null",
                                         "path": ["timezone"], "message": "Expected string, received null"}]),
    ({}, True, [required("task"), required("cron"), required("deduplicationKey")]),
    ({}, False, [required("task"), required("cron")]),
    ({"task": "t", "cron": "0 * * * *"}, False, []),
    ({**BASE, "deduplicationKey": "", "externalId": "", "timezone": "", "extra": 1}, True, []),
    ([], True, [{"code": "invalid_type", "expected": "object", "received": "array", "path": [],
                 "message": "Expected object, received array"}]),
])
def test_body_issues_are_zod_3_issues(body, create, issues):
    assert sr.body_issues(body, create=create) == issues


@pytest.mark.parametrize("window, stored, shown", [
    ("0h", sr.Window(duration_seconds=0), "0m"),
    ("0m", sr.Window(duration_seconds=0), "0m"),
    ("120m", sr.Window(duration_seconds=7200), "2h"),
    ("90m", sr.Window(duration_seconds=5400), "90m"),
    ("24h", sr.Window(duration_seconds=86400), "24h"),
    ("1440m", sr.Window(duration_seconds=86400), "24h"),
    ("30%", sr.Window(percentage=30), "30%"),
    ("0%", sr.Window(percentage=0), "0%"),
    ("100%", sr.Window(percentage=100), "100%"),
])
def test_window_is_stored_normalised_and_rendered_back(window, stored, shown):
    assert sr.parse_window(window) == stored
    assert sr.format_window(stored) == shown


@pytest.mark.parametrize("window, message", [
    ("1d", WINDOW_SYNTAX), ("01m", WINDOW_SYNTAX), ("1.5h", WINDOW_SYNTAX), (" 30m", WINDOW_SYNTAX),
    ("30s", WINDOW_SYNTAX), ("30 m", WINDOW_SYNTAX), ("-5m", WINDOW_SYNTAX), ("", WINDOW_SYNTAX),
    ("30m\n", WINDOW_SYNTAX), ("25h", WINDOW_24H), ("1441m", WINDOW_24H),
    ("99999999999999999999h", WINDOW_24H), ("101%", WINDOW_100),
])
def test_window_errors(window, message):
    assert sr.window_error(window) == message
    assert sr.check_schedule("0 * * * *", window=window) == message


def test_no_window_is_omitted():
    assert sr.format_window(None) is None and sr.format_window(sr.Window()) is None


KOLKATA = "Invalid IANA timezone: 'Asia/Kolkata'. View the list of valid timezones at http://localhost:3030/timezones"


@pytest.mark.parametrize("cron, tz, window, origin, message", [
    ("0 * * * *", "Asia/Kolkata", None, sr.APP_ORIGIN, KOLKATA),
    ("0 * * * *", "US/Eastern", None, "https://cloud.trigger.dev",
     "Invalid IANA timezone: 'US/Eastern'. View the list of valid timezones at https://cloud.trigger.dev/timezones"),
    ("61 * * * *", "Asia/Kolkata", "1d", sr.APP_ORIGIN,
     "Invalid cron expression: Constraint error, got value 61 expected range 0-59"),
    ("0 * * * *", "Asia/Kolkata", "1d", sr.APP_ORIGIN, KOLKATA),
    ("0 * * * *", "Asia/Calcutta", "1d", sr.APP_ORIGIN, WINDOW_SYNTAX),
    ("0 * * * *", "", "30m", sr.APP_ORIGIN, None),  # "" is falsy: the timezone check is skipped
    ("0 * * * *", None, None, sr.APP_ORIGIN, None),
])
def test_check_schedule_runs_cron_then_timezone_then_window(cron, tz, window, origin, message):
    assert sr.check_schedule(cron, tz, window, origin) == message


def test_hard_coded_strings():
    assert sr.task_not_found("t1") == "Task with identifier t1 not found in project."
    assert sr.not_scheduled_task("t1") == "Task with identifier t1 is not a scheduled task."
    assert (sr.DECLARATIVE_UPDATE, sr.NOT_FOUND, sr.INVALID_BODY, sr.SOMETHING_WENT_WRONG) == (
        "Cannot update a declarative schedule", "Schedule not found", "Invalid request body",
        "Something went wrong, please try again.")


@pytest.mark.parametrize("body, expected", [
    ({"task": "t", "cron": "c"}, sr.ScheduleInput("t", "c", "UTC", None, None, None)),
    ({"task": "t", "cron": "c", "timezone": "", "externalId": "", "deduplicationKey": ""},
     sr.ScheduleInput("t", "c", "", None, None, None)),
    ({"task": "t", "cron": "c", "timezone": "Europe/London", "externalId": "u1", "deduplicationKey": "k1",
      "window": "120m"}, sr.ScheduleInput("t", "c", "Europe/London", "u1", sr.Window(7200), "k1")),
])
def test_schedule_input_is_a_full_replacement(body, expected):
    assert sr.schedule_input(body) == expected


# --- §3.9 timezones ---------------------------------------------------------------------------

def test_timezone_list_is_utc_then_the_cldr_canonical_ids():
    everything, without = sr.timezones(), sr.timezones(exclude_utc=True)
    assert (len(everything), len(without)) == (419, 418)
    assert everything[0] == "UTC" and everything[1:] == without == sorted(without) and "UTC" not in without
    legacy = {"Asia/Calcutta", "Europe/Kiev", "Asia/Saigon", "Asia/Katmandu", "America/Buenos_Aires",
              "America/Godthab", "Atlantic/Faeroe", "America/Coyhaique"}
    modern_or_links = {"Asia/Kolkata", "Europe/Kyiv", "Asia/Ho_Chi_Minh", "US/Eastern", "Etc/UTC", "GMT",
                       "Etc/GMT+5", "America/Nipigon", "Europe/Uzhgorod"}
    assert legacy <= set(without) and not modern_or_links & set(everything)
    for tz in modern_or_links:
        assert sr.timezone_error(tz) == (f"Invalid IANA timezone: '{tz}'. View the list of valid timezones at "
                                         "http://localhost:3030/timezones")


def test_every_listed_timezone_evaluates_crons_in_local_time():
    start = ms("2025-01-01T00:00:00Z")
    for tz in sr.timezones():  # Asia/Katmandu (+05:45) fires at :45 UTC, Asia/Calcutta at :00
        fired = sr.next_run("30 * * * *", tz, start)
        assert datetime.fromtimestamp(fired / 1000, ZoneInfo(tz)).minute == 30 and start < fired <= start + HOUR, tz


@pytest.mark.parametrize("value, excluded", [("true", True), ("True", False), ("1", False), ("", False),
                                             (None, False), ("false", False)])
def test_exclude_utc_is_exactly_the_string_true(value, excluded):
    assert sr.exclude_utc_param(value) is excluded


# --- §3.11 nominal times ----------------------------------------------------------------------

@pytest.mark.parametrize("cron, tz, after, expected", [
    # contract §3.11 table
    ("0 0 * * *", "UTC", "2025-01-01T00:00:00.000Z", ["2025-01-02T00:00", "2025-01-03T00:00"]),
    ("*/15 * * * *", "UTC", "2025-01-01T10:07:00Z", ["2025-01-01T10:15", "2025-01-01T10:30", "2025-01-01T10:45"]),
    ("0 9 * * 1-5", "UTC", "2025-01-03T12:00:00Z", ["2025-01-06T09:00", "2025-01-07T09:00", "2025-01-08T09:00"]),
    ("0 2 * * *", "America/New_York", "2025-03-08T12:00:00Z",
     ["2025-03-09T07:00", "2025-03-10T06:00", "2025-03-11T06:00"]),
    ("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", ["2025-03-09T07:30", "2025-03-10T06:30"]),
    ("30 * * * *", "America/New_York", "2025-03-09T05:45:00Z",
     ["2025-03-09T06:30", "2025-03-09T07:30", "2025-03-09T08:30"]),
    ("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z",
     ["2025-11-02T05:30", "2025-11-03T06:30", "2025-11-04T06:30"]),
    ("0 * * * *", "America/New_York", "2025-11-02T04:30:00Z",
     ["2025-11-02T05:00", "2025-11-02T06:00", "2025-11-02T07:00", "2025-11-02T08:00"]),
    ("0 1 * * *", "Europe/London", "2025-03-29T12:00:00Z",
     ["2025-03-30T01:00", "2025-03-31T00:00", "2025-04-01T00:00"]),
    ("30 1 * * *", "Europe/London", "2025-10-25T12:00:00Z",
     ["2025-10-26T00:30", "2025-10-27T01:30", "2025-10-28T01:30"]),
    ("0 9 * * *", "Asia/Calcutta", "2025-01-01T00:00:00Z", ["2025-01-01T03:30"]),
    ("0 0 L * *", "UTC", "2025-01-15T00:00:00Z", ["2025-01-31T00:00", "2025-02-28T00:00", "2025-03-31T00:00"]),
    ("0 0 * * 1L", "UTC", "2025-01-01T00:00:00Z", ["2025-01-27T00:00", "2025-02-24T00:00"]),
    ("0 0 1 * 1", "UTC", "2025-01-01T00:00:00Z",
     ["2025-01-06T00:00", "2025-01-13T00:00", "2025-01-20T00:00", "2025-01-27T00:00", "2025-02-01T00:00"]),
    ("0 0 * * 7", "UTC", "2025-01-01T00:00:00Z", ["2025-01-05T00:00"]),
    ("15 10 * JAN MON", "UTC", "2025-01-01T00:00:00Z", ["2025-01-06T10:15", "2025-01-13T10:15"]),
    # cron-parser run: a fire inside the gap counts once, and only the first minute of it survives
    ("15,45 2 * * *", "America/New_York", "2025-03-09T05:00:00Z",
     ["2025-03-09T07:15", "2025-03-10T06:15", "2025-03-10T06:45"]),
    ("0 1-3 * * *", "America/New_York", "2025-11-02T04:30:00Z",
     ["2025-11-02T05:00", "2025-11-02T07:00", "2025-11-02T08:00", "2025-11-03T06:00"]),
    ("*/30 1-2 * * *", "Europe/London", "2025-10-26T00:00:00Z",
     ["2025-10-26T00:30", "2025-10-26T02:00", "2025-10-26T02:30", "2025-10-27T01:00", "2025-10-27T01:30"]),
    ("30 1 * * *", "America/New_York", "2025-11-02T06:10:00Z", ["2025-11-02T06:30", "2025-11-03T06:30"]),
    ("0 0 * * *", "America/Havana", "2025-03-08T12:00:00Z",  # midnight does not exist on 03-09: no fire
     ["2025-03-10T04:00", "2025-03-11T04:00", "2025-03-12T04:00"]),
    ("0 0 * * *", "America/Santiago", "2025-09-05T12:00:00Z",
     ["2025-09-06T04:00", "2025-09-08T03:00", "2025-09-09T03:00"]),
    ("30 2 * * *", "Australia/Lord_Howe", "2025-10-04T12:00:00Z",
     ["2025-10-04T15:30", "2025-10-05T15:30", "2025-10-06T15:30"]),
])
def test_next_runs_match_cron_parser(cron, tz, after, expected):
    assert [t[:16] for t in isos(sr.next_runs(cron, tz, ms(after), len(expected)))] == expected
    assert sr.next_run(cron, tz, ms(after)) == ms(expected[0] + "Z")


@pytest.mark.parametrize("cron, tz, before, expected", [  # cron-parser run
    ("0 2 * * *", "America/New_York", "2025-03-10T00:00:00Z", ["2025-03-08T07:00", "2025-03-07T07:00"]),
    ("30 1 * * *", "America/New_York", "2025-11-03T00:00:00Z", ["2025-11-02T06:30", "2025-11-02T05:30"]),
    ("0 * * * *", "America/New_York", "2025-11-02T07:30:00Z",
     ["2025-11-02T07:00", "2025-11-02T06:00", "2025-11-02T05:00", "2025-11-02T04:00"]),
    ("0 0 * * *", "UTC", "2025-01-02T00:00:00.000Z", ["2025-01-01T00:00"]),
    ("0 0 * * *", "UTC", "2025-01-02T00:00:00.001Z", ["2025-01-02T00:00"]),
])
def test_prev_is_strictly_before_and_not_next_inverse_around_dst(cron, tz, before, expected):
    got, t = [], ms(before)
    for _ in expected:
        t = sr.prev_run(cron, tz, t)
        got.append(sr.iso(t)[:16])
    assert got == expected


@pytest.mark.parametrize("after, expected", [
    ("2025-01-01T10:15:00.000Z", "2025-01-01T10:30:00.000Z"),  # a tick at currentDate is skipped
    ("2025-01-01T10:15:00.500Z", "2025-01-01T10:30:00.000Z"),
    ("2025-01-01T10:14:59.999Z", "2025-01-01T10:15:00.000Z"),
])
def test_next_is_strictly_after_on_whole_minutes(after, expected):
    assert sr.iso(sr.next_run("*/15 * * * *", "UTC", ms(after))) == expected


@pytest.mark.parametrize("cron, tz, message", [
    ("0 0 * * *", "", 'CronDate: unhandled timestamp: "2025-01-01T00:00:00.000Z"'),  # stored timezone ""
    ("0 0 * * L", "UTC", "Invalid last weekday of the month expression: L"),
    ("0 0 31 2,4 *", "UTC", "Invalid expression, loop limit exceeded"),
    ("0 0 1L 2 *", "UTC", "Invalid expression, loop limit exceeded"),
])
def test_valid_crons_that_cannot_be_evaluated(cron, tz, message):
    with pytest.raises(sr.CronError) as caught:
        sr.next_run(cron, tz, ms("2025-01-01T00:00:00Z"))
    assert str(caught.value) == message


# --- catch-up (§3.12 step 3) ------------------------------------------------------------------

@pytest.mark.parametrize("tz, start", [("UTC", "2025-01-01T00:00:00Z"),
                                       ("America/New_York", "2025-11-01T00:00:00Z"),
                                       ("Europe/London", "2025-03-27T00:00:00Z")])
def test_a_week_through_an_hourly_cron_is_168_times(tz, start):
    t0 = ms(start)
    times = sr.due_times("0 * * * *", tz, t0, t0 + 168 * HOUR)
    assert times == [t0 + i * HOUR for i in range(1, 169)]
    assert sr.due_times("0 * * * *", tz, t0, t0 + 168 * HOUR, limit=5) == times[:5]


def test_a_week_of_a_daily_fall_back_cron_fires_once_a_day():
    times = sr.due_times("30 1 * * *", "America/New_York", ms("2025-10-30T12:00:00Z"), ms("2025-11-06T12:00:00Z"))
    assert [t[:16] for t in isos(times)] == ["2025-10-31T05:30", "2025-11-01T05:30", "2025-11-02T05:30",
                                             "2025-11-03T06:30", "2025-11-04T06:30", "2025-11-05T06:30",
                                             "2025-11-06T06:30"]


@pytest.mark.parametrize("registered, now, fired, next_registered", [
    ("2025-01-01T01:00Z", "2025-01-08T00:30Z", ["2025-01-01T01:00"], "2025-01-08T01:00"),
    ("2025-01-01T01:00Z", "2025-01-08T00:00Z", ["2025-01-01T01:00", "2025-01-08T00:00"], "2025-01-08T01:00"),
    ("2025-01-01T01:00Z", "2025-01-01T01:00Z", ["2025-01-01T01:00"], "2025-01-01T02:00"),
    ("2025-01-01T01:00Z", "2025-01-01T00:59Z", [], "2025-01-01T01:00"),
])
def test_production_replays_at_most_one_missed_tick(registered, now, fired, next_registered):
    done, pending = sr.clock_jump_fires("0 * * * *", "UTC", ms(registered), ms(now))
    assert ([t[:16] for t in isos(done)], sr.iso(pending)[:16]) == (fired, next_registered)


@pytest.mark.parametrize("after, now, expected", [
    ("2025-01-01T01:00Z", "2025-01-01T01:30Z", "2025-01-01T02:00"),  # next tick not yet past
    ("2025-01-01T01:00Z", "2025-01-01T05:00Z", "2025-01-01T05:00"),  # a tick exactly at now
    ("2025-01-01T01:00Z", "2025-01-01T05:00:01Z", "2025-01-01T06:00"),  # otherwise the first future one
])
def test_next_schedulable(after, now, expected):
    assert sr.iso(sr.next_schedulable("0 * * * *", "UTC", ms(after), ms(now)))[:16] == expected


@pytest.mark.parametrize("created, expected", [("2025-01-01T00:10Z", "2025-01-01T05:00:00.000Z"),
                                               ("2025-01-01T05:10Z", None)])
def test_registration_last_timestamp_is_the_previous_slot_after_creation(created, expected):
    got = sr.registration_last_timestamp("0 * * * *", "UTC", ms("2025-01-01T05:30Z"), ms(created))
    assert (sr.iso(got) if got is not None else None) == expected


# --- §3.11 effective times --------------------------------------------------------------------

@pytest.mark.parametrize("interval, phase, window, offset", [
    (HOUR, 0, None, 0),
    (HOUR, 2**31 - 1, None, 59_999),  # no window still spreads over 60 s
    (HOUR, 2**30, sr.Window(duration_seconds=0), 30_000),  # "0m" too
    (HOUR, 2**30, sr.Window(duration_seconds=1800), 900_000),
    (HOUR, 2**30, sr.Window(percentage=50), 900_000),
    (HOUR, 2**30, sr.Window(duration_seconds=7200), 1_800_000),  # capped to the interval
    (60_000, 2**30, sr.Window(duration_seconds=86400), 30_000),
    (420_000, 2**30, sr.Window(percentage=33), 69_300),  # floor(420000 * 33 / 100) = 138600
])
def test_effective_time(interval, phase, window, offset):
    n = ms("2025-01-01T01:00:00Z")
    assert sr.effective_at(n, n + interval, phase, window) == n + offset


def test_schedule_phase_is_the_hmac_of_the_json_array():
    assert sr.schedule_phase("secret", "env_1", "k1") == 1040298928  # Node crypto, same inputs
    assert sr.schedule_phase(b"tr-emulator", "cm_env_\u00fc", 'd\u00e9dup "q"') == 1466541416


def test_next_run_timing():
    assert sr.next_run_timing("0 * * * *", "UTC", ms("2025-01-01T00:10:00Z"), 2**30) == (
        ms("2025-01-01T01:00:00Z"), ms("2025-01-01T01:00:30Z"))


# --- §3.12 the scheduled run ------------------------------------------------------------------

CONTRACT_PACKET_HEAD = (
    '{"json":{"scheduleId":"sched_abc","type":"IMPERATIVE","timestamp":"2025-03-09T07:00:00.000Z",'
    '"lastTimestamp":"2025-03-08T07:00:00.000Z","externalId":null,"timezone":"America/New_York",'
    '"upcoming":["2025-03-10T06:00:00.000Z","2025-03-11T06:00:00.000Z"')


def test_payload_bytes_match_the_contract_with_ten_upcoming():
    run = sr.scheduled_run(schedule_id="sched_abc", schedule_type="IMPERATIVE", cron="0 2 * * *",
                           timezone="America/New_York", nominal_ms=ms("2025-03-09T07:00:00Z"),
                           last_timestamp_ms=ms("2025-03-08T07:00:00Z"), external_id=None,
                           now_ms=ms("2025-03-09T07:00:00Z"))
    days = [f"2025-03-{d:02d}T06:00:00.000Z" for d in range(10, 20)]
    upcoming_meta = ",".join(f'"upcoming.{i}":["Date"]' for i in range(10))
    assert run.packet.startswith(CONTRACT_PACKET_HEAD)
    assert run.packet == (
        '{"json":{"scheduleId":"sched_abc","type":"IMPERATIVE","timestamp":"2025-03-09T07:00:00.000Z",'
        '"lastTimestamp":"2025-03-08T07:00:00.000Z","externalId":null,"timezone":"America/New_York",'
        '"upcoming":[' + ",".join(f'"{d}"' for d in days) + ']},"meta":{"values":{"timestamp":["Date"],'
        '"lastTimestamp":["Date"],"externalId":["undefined"],' + upcoming_meta + "}}}")
    assert list(run.payload) == ["scheduleId", "type", "timestamp", "lastTimestamp", "externalId", "timezone",
                                 "upcoming"]
    assert (run.payload_type, run.created_at_ms, run.idempotency_key, run.tags, run.delay) == (
        "application/super+json", ms("2025-03-09T07:00:00Z"), None, (), None)


def test_first_fire_and_external_id():
    run = sr.scheduled_run(schedule_id="sched_x", schedule_type="DECLARATIVE", cron="*/15 * * * *",
                           timezone="UTC", nominal_ms=ms("2025-01-01T10:15:00Z"), last_timestamp_ms=None,
                           external_id="u1", now_ms=ms("2025-01-01T10:14:50Z"))
    assert run.payload == {
        "scheduleId": "sched_x", "type": "DECLARATIVE", "timestamp": "2025-01-01T10:15:00.000Z",
        "lastTimestamp": None, "externalId": "u1", "timezone": "UTC",
        "upcoming": [sr.iso(ms("2025-01-01T10:30:00Z") + i * 900_000) for i in range(10)]}
    assert '"meta":{"values":{"timestamp":["Date"],"lastTimestamp":["undefined"],"upcoming.0":["Date"]' in run.packet


def test_a_late_fire_lists_upcoming_from_now_not_the_missed_ticks():
    run = sr.scheduled_run(schedule_id="sched_x", schedule_type="IMPERATIVE", cron="0 * * * *", timezone="UTC",
                           nominal_ms=ms("2025-01-01T01:00:00Z"), last_timestamp_ms=None, external_id=None,
                           now_ms=ms("2025-01-08T00:30:00Z"))
    assert run.payload["timestamp"] == "2025-01-01T01:00:00.000Z"
    assert run.payload["upcoming"] == [sr.iso(ms("2025-01-08T01:00:00Z") + i * HOUR) for i in range(10)]
