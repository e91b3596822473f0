"""Schedule rules of production (management.md §3), in plain functions over plain values.

Pure: no I/O, SQL or HTTP. Times are epoch milliseconds (UTC). Cron parsing, its error strings and
nominal times are `cron_rules` (a port of cron-parser 4.9.0, re-exported here); this module holds
the create/update validation pipeline (§3.2), windows (§3.2.2), descriptions, the timezone
whitelist (§3.9), timing (§3.11) and what a due schedule triggers (§3.12).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cron_descriptor import ExpressionDescriptor, Options

from .cron_rules import CronError, iso, next_run, next_runs, prev_run, validate_cron
from .cron_rules import due_times  # noqa: F401 - re-exported for the engine's clock-jump catch-up

APP_ORIGIN = "http://localhost:3030"
INVALID_BODY = "Invalid request body"
NOT_FOUND = "Schedule not found"
SOMETHING_WENT_WRONG = "Something went wrong, please try again."
DECLARATIVE_UPDATE = "Cannot update a declarative schedule"
UPCOMING_COUNT = 10
MAX_WINDOW_SECONDS = 24 * 60 * 60
PHASE_DENOMINATOR = 2**31
MIN_RANGE_MS = 60_000
SUPERJSON = "application/super+json"

# ["UTC", ...Intl.supportedValuesOf("timeZone").sort()] on Node 20.20.2 / ICU 78.2 (tz 2025c):
# CLDR canonical ids, so legacy names (Asia/Calcutta) and no links (US/Eastern, Etc/UTC).
_CLDR_ZONES = {
    "Africa": (
        "Abidjan Accra Addis_Ababa Algiers Asmera Bamako Bangui Banjul Bissau Blantyre Brazzaville Bujumbura "
        "Cairo Casablanca Ceuta Conakry Dakar Dar_es_Salaam Djibouti Douala El_Aaiun Freetown Gaborone Harare "
        "Johannesburg Juba Kampala Khartoum Kigali Kinshasa Lagos Libreville Lome Luanda Lubumbashi Lusaka Malabo "
        "Maputo Maseru Mbabane Mogadishu Monrovia Nairobi Ndjamena Niamey Nouakchott Ouagadougou Porto-Novo "
        "Sao_Tome Tripoli Tunis Windhoek"),
    "America": (
        "Adak Anchorage Anguilla Antigua Araguaina Argentina/La_Rioja Argentina/Rio_Gallegos Argentina/Salta "
        "Argentina/San_Juan Argentina/San_Luis Argentina/Tucuman Argentina/Ushuaia Aruba Asuncion Bahia "
        "Bahia_Banderas Barbados Belem Belize Blanc-Sablon Boa_Vista Bogota Boise Buenos_Aires Cambridge_Bay "
        "Campo_Grande Cancun Caracas Catamarca Cayenne Cayman Chicago Chihuahua Ciudad_Juarez Coral_Harbour "
        "Cordoba Costa_Rica Coyhaique Creston Cuiaba Curacao Danmarkshavn Dawson Dawson_Creek Denver Detroit "
        "Dominica Edmonton Eirunepe El_Salvador Fort_Nelson Fortaleza Glace_Bay Godthab Goose_Bay Grand_Turk "
        "Grenada Guadeloupe Guatemala Guayaquil Guyana Halifax Havana Hermosillo Indiana/Knox Indiana/Marengo "
        "Indiana/Petersburg Indiana/Tell_City Indiana/Vevay Indiana/Vincennes Indiana/Winamac Indianapolis Inuvik "
        "Iqaluit Jamaica Jujuy Juneau Kentucky/Monticello Kralendijk La_Paz Lima Los_Angeles Louisville "
        "Lower_Princes Maceio Managua Manaus Marigot Martinique Matamoros Mazatlan Mendoza Menominee Merida "
        "Metlakatla Mexico_City Miquelon Moncton Monterrey Montevideo Montserrat Nassau New_York Nome Noronha "
        "North_Dakota/Beulah North_Dakota/Center North_Dakota/New_Salem Ojinaga Panama Paramaribo Phoenix "
        "Port-au-Prince Port_of_Spain Porto_Velho Puerto_Rico Punta_Arenas Rankin_Inlet Recife Regina Resolute "
        "Rio_Branco Santarem Santiago Santo_Domingo Sao_Paulo Scoresbysund Sitka St_Barthelemy St_Johns St_Kitts "
        "St_Lucia St_Thomas St_Vincent Swift_Current Tegucigalpa Thule Tijuana Toronto Tortola Vancouver "
        "Whitehorse Winnipeg Yakutat"),
    "Antarctica": "Casey Davis DumontDUrville Macquarie Mawson McMurdo Palmer Rothera Syowa Troll Vostok",
    "Arctic": "Longyearbyen",
    "Asia": (
        "Aden Almaty Amman Anadyr Aqtau Aqtobe Ashgabat Atyrau Baghdad Bahrain Baku Bangkok Barnaul Beirut "
        "Bishkek Brunei Calcutta Chita Colombo Damascus Dhaka Dili Dubai Dushanbe Famagusta Gaza Hebron Hong_Kong "
        "Hovd Irkutsk Jakarta Jayapura Jerusalem Kabul Kamchatka Karachi Katmandu Khandyga Krasnoyarsk "
        "Kuala_Lumpur Kuching Kuwait Macau Magadan Makassar Manila Muscat Nicosia Novokuznetsk Novosibirsk Omsk "
        "Oral Phnom_Penh Pontianak Pyongyang Qatar Qostanay Qyzylorda Rangoon Riyadh Saigon Sakhalin Samarkand "
        "Seoul Shanghai Singapore Srednekolymsk Taipei Tashkent Tbilisi Tehran Thimphu Tokyo Tomsk Ulaanbaatar "
        "Urumqi Ust-Nera Vientiane Vladivostok Yakutsk Yekaterinburg Yerevan"),
    "Atlantic": "Azores Bermuda Canary Cape_Verde Faeroe Madeira Reykjavik South_Georgia St_Helena Stanley",
    "Australia": "Adelaide Brisbane Broken_Hill Darwin Eucla Hobart Lindeman Lord_Howe Melbourne Perth Sydney",
    "Europe": (
        "Amsterdam Andorra Astrakhan Athens Belgrade Berlin Bratislava Brussels Bucharest Budapest Busingen "
        "Chisinau Copenhagen Dublin Gibraltar Guernsey Helsinki Isle_of_Man Istanbul Jersey Kaliningrad Kiev "
        "Kirov Lisbon Ljubljana London Luxembourg Madrid Malta Mariehamn Minsk Monaco Moscow Oslo Paris Podgorica "
        "Prague Riga Rome Samara San_Marino Sarajevo Saratov Simferopol Skopje Sofia Stockholm Tallinn Tirane "
        "Ulyanovsk Vaduz Vatican Vienna Vilnius Volgograd Warsaw Zagreb Zurich"),
    "Indian": "Antananarivo Chagos Christmas Cocos Comoro Kerguelen Mahe Maldives Mauritius Mayotte Reunion",
    "Pacific": (
        "Apia Auckland Bougainville Chatham Easter Efate Enderbury Fakaofo Fiji Funafuti Galapagos Gambier "
        "Guadalcanal Guam Honolulu Kiritimati Kosrae Kwajalein Majuro Marquesas Midway Nauru Niue Norfolk Noumea "
        "Pago_Pago Palau Pitcairn Ponape Port_Moresby Rarotonga Saipan Tahiti Tarawa Tongatapu Truk Wake Wallis"),
}
TIMEZONES: tuple[str, ...] = ("UTC",) + tuple(sorted(
    f"{region}/{name}" for region, names in _CLDR_ZONES.items() for name in names.split()))
_TIMEZONE_SET = frozenset(TIMEZONES)


def timezones(exclude_utc: bool = False) -> list[str]:
    """Body of `GET /api/v1/timezones`: `{"timezones": timezones(...)}`."""
    return list(TIMEZONES[1:] if exclude_utc else TIMEZONES)


def exclude_utc_param(value: str | None) -> bool:
    """`excludeUtc` query value (the last one when repeated): exactly "true" means true."""
    return value == "true"


def timezone_error(tz: str | None, app_origin: str = APP_ORIGIN) -> str | None:
    """§3.2 row 4: checked only when truthy (so "" passes); None when accepted."""
    if tz and tz not in _TIMEZONE_SET:
        return (f"Invalid IANA timezone: '{tz}'. View the list of valid timezones at "
                f"{app_origin}/timezones")
    return None


# --- windows (§3.2.2) -------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    duration_seconds: int | None = None
    percentage: int | None = None


def parse_window(value: str) -> Window:
    """`parseScheduleWindow`; raises ValueError with production's message."""
    match = re.fullmatch(r"(0|[1-9][0-9]*)([mh])", value)
    if match:
        seconds = int(match.group(1)) * (60 if match.group(2) == "m" else 3600)
        if seconds > MAX_WINDOW_SECONDS:
            raise ValueError("Schedule window duration cannot exceed 24 hours")
        return Window(duration_seconds=seconds)
    match = re.fullmatch(r"(0|[1-9][0-9]*)%", value)
    if match:
        if int(match.group(1)) > 100:
            raise ValueError("Schedule window percentage cannot exceed 100%")
        return Window(percentage=int(match.group(1)))
    raise ValueError('Schedule window must be a whole duration such as "30m" or "2h", '
                     'or a percentage such as "30%"')


def window_error(value: str) -> str | None:
    try:
        parse_window(value)
    except ValueError as err:
        return str(err)
    return None


def format_window(window: Window | None) -> str | None:
    """`formatScheduleWindow`: None means the `window` key is omitted."""
    if window is None or (window.percentage is None and window.duration_seconds is None):
        return None
    if window.percentage is not None:
        return f"{window.percentage}%"
    seconds = window.duration_seconds
    if seconds == 0:
        return "0m"
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}m"


# --- create / update validation (§3.2) --------------------------------------------------------

def zod_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    kinds = ((int, "number"), (float, "number"), (str, "string"), (list, "array"), (dict, "object"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "unknown")


def _type_issue(expected: str, value: Any, path: list, missing: bool = False) -> dict:
    received = "undefined" if missing else zod_type(value)
    message = "Required" if missing else f"Expected {expected}, received {received}"
    return {"code": "invalid_type", "expected": expected, "received": received, "path": path,
            "message": message}


def body_issues(body: Any, *, create: bool) -> list[dict]:
    """zod 3 issues of `CreateScheduleOptions` (create) / `UpdateScheduleOptions` (update), in
    zod's order; [] when valid. The 400 body is `{"error": INVALID_BODY, "issues": issues}`."""
    if not isinstance(body, dict):
        return [_type_issue("object", body, [])]
    issues = []
    for key in ("task", "cron", "deduplicationKey", "externalId", "timezone", "window"):
        if key == "deduplicationKey" and not create:
            continue
        if key not in body:
            if key in ("task", "cron", "deduplicationKey"):
                issues.append(_type_issue("string", None, [key], missing=True))
            continue
        if not isinstance(body[key], str):
            issues.append(_type_issue("string", body[key], [key]))
        elif key == "window" and window_error(body[key]):
            issues.append({"code": "custom", "message": window_error(body[key]), "path": [key]})
    return issues


def check_schedule(cron: str, timezone: str | None = None, window: str | None = None,
                   app_origin: str = APP_ORIGIN) -> str | None:
    """§3.2 rows 3-5 in order: the 422 `error` string, or None. Rows 6-10 need stored data:
    see `task_not_found`, `not_scheduled_task`, DECLARATIVE_UPDATE; row 11 is `description`."""
    reason = validate_cron(cron)
    if reason is not None:
        return f"Invalid cron expression: {reason}"
    return timezone_error(timezone, app_origin) or (window_error(window) if window is not None
                                                     else None)


def task_not_found(task: str) -> str:
    return f"Task with identifier {task} not found in project."


def not_scheduled_task(task: str) -> str:
    return f"Task with identifier {task} is not a scheduled task."


class _Cronstrue(ExpressionDescriptor):
    """cron-descriptor worded as cronstrue 2.21.0 (`generator.description`): "and on" for a day of week
    next to a day of month, "every hour" / "at 0 minutes past the hour" for minute 0, and hour ranges
    ending on ":00" unless the minute field is something other than 0."""

    _keep_00 = False

    def translate(self, message: str) -> str:
        return ", and on {0}" if message == ", or on {0}" else super().translate(message)

    def get_minutes_description(self) -> str:
        seconds, minute, hour = self._expression_parts[:3]
        if minute == "0":
            every_hour = "/" not in hour and seconds == ""
            return self.translate("every hour" if every_hour else "at {0} minutes past the hour").format("0")
        return super().get_minutes_description()

    def get_hours_description(self) -> str:
        self._keep_00 = True
        try:
            text = super().get_hours_description()
        finally:
            self._keep_00 = False
        hits = [m.start() for m in re.finditer(":00", text)]
        if "-" in self._expression_parts[2] and self._expression_parts[1] != "0" and len(hits) > 1:
            text = f"{text[:hits[-1]]}:59{text[hits[-1] + 3:]}"
        return text

    def generate_between_segment_description(self, expr, fmt, single) -> str:
        if not self._keep_00:
            return super().generate_between_segment_description(expr, fmt, single)
        first, last = expr.split("-")[:2]
        return fmt(expr).format(single(first), single(last))


def description(cron: str) -> str | None:
    """`cronstrue.toString(cron)` for `generator.description`; None where cronstrue throws (fewer than
    5 space-separated parts: 4-field crons and `@daily` macros pass validation, then fail here), which
    makes create/update answer 500 SOMETHING_WENT_WRONG (§3.2 row 11)."""
    if len(re.split(" +", cron.strip())) < 5:
        return None
    try:
        return _Cronstrue(cron, Options(locale_code="en_US", use_24hour_time_format=False)).get_description()
    except Exception:  # noqa: BLE001 - cron-descriptor raises several unrelated types
        return None


@dataclass(frozen=True)
class ScheduleInput:
    """What create/update store from a valid body (PUT is a full replacement)."""
    task: str
    cron: str
    timezone: str
    external_id: str | None
    window: Window | None
    deduplication_key: str | None  # None: not user-provided ("" or absent) -> generate one


def schedule_input(body: dict) -> ScheduleInput:
    window = body.get("window")
    key = body.get("deduplicationKey")
    return ScheduleInput(
        task=body["task"], cron=body["cron"],
        timezone=body["timezone"] if body.get("timezone") is not None else "UTC",  # "" stays ""
        external_id=body.get("externalId") or None,
        window=parse_window(window) if window is not None else None,
        deduplication_key=key if isinstance(key, str) and key != "" else None)


# --- timing (§3.11) ---------------------------------------------------------------------------

def schedule_phase(secret: str | bytes, environment_id: str, deduplication_key: str) -> int:
    """Stable per-instance phase in [0, 2^31-1]: HMAC-SHA256 of the JSON array, first 4 bytes."""
    key = secret.encode() if isinstance(secret, str) else secret
    msg = json.dumps(["cron-phase-v1", environment_id, deduplication_key], ensure_ascii=False,
                     separators=(",", ":")).encode()
    return int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:4], "big") & 0x7FFFFFFF


def effective_at(nominal_ms: int, next_nominal_ms: int, phase: int,
                 window: Window | None = None) -> int:
    """`calculateEffectiveScheduleTime`: nominal + phase share of min(interval, max(60 s, window))."""
    interval = next_nominal_ms - nominal_ms
    if window is None or (window.duration_seconds is None and window.percentage is None):
        window_ms = 0
    elif window.percentage is not None:
        window_ms = interval * window.percentage // 100
    else:
        window_ms = window.duration_seconds * 1000
    span = min(interval, max(MIN_RANGE_MS, window_ms))
    return nominal_ms + phase * span // PHASE_DENOMINATOR


def next_run_timing(cron: str, tz: str, now_ms: int, phase: int,
                    window: Window | None = None) -> tuple[int, int]:
    """(`nextRun`, `nextRunEffectiveAt`) as epoch ms: the next nominal time after now."""
    first, second = next_runs(cron, tz, now_ms, 2)
    return first, effective_at(first, second, phase, window)


def next_schedulable(cron: str, tz: str, after_nominal_ms: int, now_ms: int) -> int:
    """`calculateNextSchedulableOccurrence` with cron spread off (the default): the next tick
    after `after_nominal_ms` if not yet past, else a tick exactly at `now`, else the first
    future tick. Missed ticks are never replayed."""
    first = next_run(cron, tz, after_nominal_ms)
    if first >= now_ms:
        return first
    latest = prev_run(cron, tz, now_ms + 1)
    if after_nominal_ms < latest and latest >= now_ms:
        return latest
    return next_run(cron, tz, now_ms)


def clock_jump_fires(cron: str, tz: str, registered_ms: int, now_ms: int) -> tuple[list[int], int]:
    """What production's engine fires when its clock reaches `now_ms` with the next fire
    registered at `registered_ms`: ([nominal times fired], next registered nominal time).
    An hourly cron jumped a week ahead fires once (plus a tick landing exactly on now)."""
    fired, pending = [], registered_ms
    while pending <= now_ms:
        fired.append(pending)
        pending = next_schedulable(cron, tz, pending, now_ms)
    return fired, pending


def registration_last_timestamp(cron: str, tz: str, now_ms: int,
                                instance_created_ms: int) -> int | None:
    """`lastTimestamp` carried by a registration without one (create/update/deploy): the cron's
    previous slot if it is later than the instance's creation, else None (first fire)."""
    try:
        previous = prev_run(cron, tz, now_ms)
    except CronError:
        return None
    return previous if previous > instance_created_ms else None


# --- what a due schedule triggers (§3.12) -----------------------------------------------------

def upcoming(cron: str, tz: str, fired_nominal_ms: int, now_ms: int) -> list[int]:
    """Payload `upcoming`: the next schedulable tick after the fired one, then 9 more."""
    first = next_schedulable(cron, tz, fired_nominal_ms, now_ms)
    return [first, *next_runs(cron, tz, first, UPCOMING_COUNT - 1)]


@dataclass(frozen=True)
class ScheduledRun:
    """The trigger a due instance makes: a plain run of the scheduled task."""
    payload: dict  # JSON part as `runs.retrieve` shows it: ISO dates, None for undefined
    packet: str  # exact `application/super+json` bytes stored as the run's payload
    created_at_ms: int  # overrideCreatedAt = the nominal time
    payload_type: str = SUPERJSON
    idempotency_key: None = None
    tags: tuple = field(default=())
    delay: None = None


def scheduled_run(*, schedule_id: str, schedule_type: str, cron: str, timezone: str,
                  nominal_ms: int, last_timestamp_ms: int | None, external_id: str | None,
                  now_ms: int) -> ScheduledRun:
    """Payload keys in production's order; `now_ms` is when the fire executes (a late fire's
    `upcoming` starts from the next schedulable tick, not from the missed ones)."""
    times = upcoming(cron, timezone, nominal_ms, now_ms)
    payload = {
        "scheduleId": schedule_id, "type": schedule_type, "timestamp": iso(nominal_ms),
        "lastTimestamp": iso(last_timestamp_ms) if last_timestamp_ms is not None else None,
        "externalId": external_id, "timezone": timezone, "upcoming": [iso(t) for t in times],
    }
    meta: dict[str, list[str]] = {"timestamp": ["Date"]}
    meta["lastTimestamp"] = ["undefined" if last_timestamp_ms is None else "Date"]
    if external_id is None:
        meta["externalId"] = ["undefined"]
    meta.update({f"upcoming.{i}": ["Date"] for i in range(len(times))})
    packet = json.dumps({"json": payload, "meta": {"values": meta}}, ensure_ascii=False,
                        separators=(",", ":"))
    return ScheduledRun(payload=payload, packet=packet, created_at_ms=nominal_ms)
