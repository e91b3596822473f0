"""Cron rules of production: `cron-parser` 4.9.0 on luxon 3 (management.md §3.2.1, §3.11).

Pure: no I/O. Times are epoch milliseconds (UTC). The parser and the search are a line-by-line port
of cron-parser's `CronExpression.parse` / `_findSchedule` and of the luxon arithmetic it relies on,
because its DST behaviour (a time in the spring-forward gap fires shifted by the gap; a repeated
fall-back hour fires once unless every hour matches) and its error strings are what clients see.
"""
from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LOOP_LIMIT = 10000
_FIELDS = ("second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek")
_CONSTRAINTS = ((0, 59, ""), (0, 59, ""), (0, 23, ""), (1, 31, "L"), (1, 12, ""), (0, 7, "L"))
_DEFAULTS = ("0", "*", "*", "*", "*", "*")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_PREDEFINED = {"@yearly": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *",
               "@hourly": "0 * * * *"}
_ALIASES = {"month": {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
            "dayOfWeek": {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}}
_STD, _DOM, _DOW = (re.compile(r"[,*0-9/-]+"), re.compile(r"[?,*0-9L/-]+"), re.compile(r"[?,*0-9L#/-]+"))
_VALID_CHARS = (_STD, _STD, _STD, _DOM, _STD, _DOW)
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_WS = re.compile(f"[{_JS_SPACE}]+")
_JS_TRIM = re.compile(f"^[{_JS_SPACE}]+|[{_JS_SPACE}]+\\Z")


class CronError(ValueError):
    """`str(err)` is cron-parser's exact `Error.message`."""


def _num(s: str) -> float:
    """JavaScript `+s` for the characters a cron field may contain."""
    return 0 if s == "" else int(s) if re.fullmatch(r"-?[0-9]+", s) else math.nan


def _js(v) -> str:
    return "NaN" if isinstance(v, float) and math.isnan(v) else str(v)


def _sort_key(v):
    return (1, 0, v) if isinstance(v, str) else (0, v, "")


def _parse_field(i: int, value: str) -> list:
    field = _FIELDS[i]
    lo, hi, chars = _CONSTRAINTS[i]
    if field in _ALIASES:
        def alias(m: re.Match) -> str:
            key = m.group(0).lower()
            if key not in _ALIASES[field]:
                raise CronError(f'Validation error, cannot resolve alias "{key}"')
            return str(_ALIASES[field][key])
        value = re.sub(r"[a-zA-Z]{3}", alias, value)
    if not _VALID_CHARS[i].fullmatch(value):
        raise CronError(f"Invalid characters, got value: {value}")
    value = value.replace("*" if "*" in value else "?", f"{lo}-{hi}")

    def special(v) -> bool:
        return isinstance(v, str) and any(c in v for c in chars)

    def parse_range(val: str, repeat) -> object:
        atoms = val.split("-")
        if len(atoms) > 1:
            if not atoms[0]:
                if not atoms[1]:
                    raise CronError(f"Invalid range: {val}")
                return _num(val)
            mn, mx = _num(atoms[0]), _num(atoms[1])
            if math.isnan(mn) or math.isnan(mx) or mn < lo or mx > hi:
                raise CronError(f"Constraint error, got range {_js(mn)}-{_js(mx)} expected range {lo}-{hi}")
            if mn > mx:
                raise CronError(f"Invalid range: {val}")
            step = _num(repeat) if isinstance(repeat, str) else repeat
            if math.isnan(step) or step <= 0:
                raise CronError(f"Constraint error, cannot repeat at every {_js(step)} time.")
            out, idx = ([0] if field == "dayOfWeek" and mx % 7 == 0 else []), step
            for n in range(mn, mx + 1):
                if n not in out and idx > 0 and idx % step == 0:
                    idx = 1
                    out.append(n)
                else:
                    idx += 1
            return out
        return val if math.isnan(_num(val)) else _num(val)

    def parse_repeat(val: str) -> object:
        atoms = val.split("/")
        if len(atoms) > 2:
            raise CronError(f"Invalid repeat: {val}")
        if len(atoms) > 1:
            if not math.isnan(_num(atoms[0])):  # JS `atoms[0] == +atoms[0]`
                atoms = [f"{atoms[0]}-{hi}", atoms[1]]
            return parse_range(atoms[0], atoms[-1])
        return parse_range(val, 1)

    stack: list = []
    if not all(atoms := value.split(",")):
        raise CronError("Invalid list value format")
    for atom in atoms:
        result = parse_repeat(atom)
        for v in result if isinstance(result, list) else [result]:
            if special(v):
                stack.append(v)
                continue
            n = _num(v) if isinstance(v, str) else v
            if math.isnan(n) or n < lo or n > hi:
                raise CronError(f"Constraint error, got value {v if isinstance(v, str) else _js(v)} "
                                f"expected range {lo}-{hi}")
            stack.append(n % 7 if field == "dayOfWeek" and not isinstance(result, list) else n)
    return sorted(stack, key=_sort_key)


@dataclass(frozen=True)
class CronFields:
    """cron-parser's parsed fields: sorted values (ints, then strings such as "L" or "5L")."""
    second: tuple
    minute: tuple
    hour: tuple
    dayOfMonth: tuple
    month: tuple
    dayOfWeek: tuple
    nth_day_of_week: int = 0


@lru_cache(maxsize=256)
def parse_cron(expression: str) -> CronFields:
    """`parseExpression(expression)`; raises CronError with the library's message."""
    expression = _PREDEFINED.get(expression, expression)
    atoms = _JS_WS.split(_JS_TRIM.sub("", expression))
    if len(atoms) > 6:
        raise CronError("Invalid cron expression")
    start, fields, nth = 6 - len(atoms), [], 0
    for i in range(6):
        value = atoms[i - start] if i >= start else ""
        if not value:
            fields.append(_parse_field(i, _DEFAULTS[i]))
            continue
        if i == 5 and "#" in value:
            parts = value.split("#")
            if clash := next((ch for ch in ",/-" if ch in value), None):
                raise CronError(f"Constraint error, invalid dayOfWeek `#` and `{clash}` special characters "
                                "are incompatible")
            nth = _num(parts[-1])
            if len(parts) > 2 or math.isnan(nth) or nth < 1 or nth > 5:
                raise CronError("Constraint error, invalid dayOfWeek occurrence number (#)")
            value = parts[0]
        fields.append(_parse_field(i, value))
    dom, month = fields[3], fields[4]
    if len(month) == 1:
        days = _DAYS_IN_MONTH[month[0] - 1]
        if not isinstance(dom[0], str) and dom[0] > days:
            raise CronError("Invalid explicit day of month definition")
        fields[3] = [d for d in dom if d == "L" or (not isinstance(d, str) and d <= days)]
    return CronFields(*(tuple(f) for f in fields), nth_day_of_week=int(nth))


def validate_cron(expression: str) -> str | None:
    """Production's `CronPattern` (CRONP): None when valid, else the reason after
    `Invalid cron expression: ` (the route's 422 prefix is not included)."""
    if len(expression.split(" ")) > 5:  # split on single spaces: "0  0 * * *" lands here too
        return "CRON expressions with seconds are not allowed"
    if expression == "":
        return "CRON expression is required"
    try:
        parse_cron(expression)
    except CronError as err:
        return str(err)
    return None


# --- luxon DateTime in a zone: (ts, offset) with calendar fields derived from ts + offset -------------

_EPOCH = datetime(1970, 1, 1)
_HOUR, _MIN = 3_600_000, 60_000
_EPOCH_ORD = date(1970, 1, 1).toordinal()


def iso(ms: int) -> str:
    """`Date.toJSON()` of an epoch-ms instant."""
    return (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _zone(tz: str | None, start_ms: int) -> ZoneInfo:
    try:
        return ZoneInfo("UTC" if tz is None else tz)
    except (ValueError, KeyError, OSError) as err:  # luxon: unsupported zone -> invalid CronDate
        raise CronError(f'CronDate: unhandled timestamp: "{iso(start_ms)}"') from err


class _LDT:
    __slots__ = ("z", "ts", "o", "c")

    def __init__(self, z: ZoneInfo, ts: int, o: int | None = None):
        self.z, self.ts = z, ts
        self.o = self._offset(ts) if o is None else o
        self.c = _EPOCH + timedelta(milliseconds=ts + self.o)

    def _offset(self, ts: int) -> int:
        off = datetime.fromtimestamp(ts / 1000, self.z).utcoffset()
        return (off.days * 86400 + off.seconds) * 1000 + off.microseconds // 1000

    def _fix(self, local: int) -> _LDT:  # luxon fixOffset(localTS, this.o, zone)
        guess = local - self.o
        o2 = self._offset(guess)
        if o2 == self.o:
            return _LDT(self.z, guess, self.o)
        guess -= o2 - self.o
        o3 = self._offset(guess)
        if o2 == o3:
            return _LDT(self.z, guess, o2)
        return _LDT(self.z, local - min(o2, o3), max(o2, o3))

    def _set(self, y, mo, d, h, mi, s, ms) -> _LDT:
        y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
        days = date(y, mo, 1).toordinal() - _EPOCH_ORD + d - 1
        return self._fix(((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms)

    def f(self):
        return (*self.c.timetuple()[:6], self.c.microsecond // 1000)

    def plus_ms(self, n: int) -> _LDT:
        return _LDT(self.z, self._fix(self.ts + self.o).ts + n)

    def plus_cal(self, months: int = 0, days: int = 0) -> _LDT:
        y, mo, d, h, mi, s, ms = self.f()
        mod = (mo + months - 1) % 12 + 1  # luxon daysInMonth(year, month + months), month may overflow
        days_in_month = calendar.monthrange(y + (mo + months - mod) // 12, mod)[1]
        return self._set(y, mo + months, min(d, days_in_month) + days, h, mi, s, ms)

    def start_of(self, unit: str) -> _LDT:
        y, mo, *rest = self.f()  # rest = [day, hour, minute, second, ms]
        cut = ("month", "day", "hour", "minute", "second").index(unit)
        rest[cut:] = [0] * (5 - cut)
        rest[0] = rest[0] or 1
        return self._set(y, mo, *rest)

    def end_of(self, unit: str) -> _LDT:
        calendar_unit = unit in ("month", "day")
        nxt = self.plus_cal(**{unit + "s": 1}) if calendar_unit else self.plus_ms(_HOUR if unit == "hour" else _MIN)
        return nxt.start_of(unit).plus_ms(-1)

    def weekday(self) -> int:  # JS getDay(): 0 = Sunday
        return (self.c.weekday() + 1) % 7


_STEP = {"Hour": _HOUR, "Minute": _MIN, "Second": 1000}


def _add(d: _LDT, unit: str) -> _LDT:
    """CronDate.add<Unit>()."""
    if unit in ("Month", "Day"):
        return d.plus_cal(**{unit.lower() + "s": 1}).start_of(unit.lower())
    n = d.plus_ms(_STEP[unit]).start_of(unit.lower())
    return n.plus_ms(_HOUR) if (n.ts <= d.ts if unit == "Hour" else n.ts < d.ts) else n


def _subtract(d: _LDT, unit: str) -> _LDT:
    """CronDate.subtract<Unit>()."""
    if unit in ("Month", "Day"):
        return d.plus_cal(**{unit.lower() + "s": -1}).end_of(unit.lower()).start_of("second")
    n = d.plus_ms(-_STEP[unit])
    n = (n if unit == "Second" else n.end_of(unit.lower())).start_of("second")
    return n.plus_ms(-_HOUR) if (n.ts >= d.ts if unit == "Hour" else n.ts > d.ts) else n


@lru_cache(maxsize=256)
def _index(fields: CronFields) -> tuple[dict, tuple, tuple]:
    """Numeric values of each field as sets, and the "L" expressions of the two day fields."""
    values = {name: getattr(fields, name) for name in _FIELDS}
    sets = {name: frozenset(v for v in vs if not isinstance(v, str)) for name, vs in values.items()}
    last = [tuple(v for v in values[day] if isinstance(v, str) and "L" in v) for day in ("dayOfMonth", "dayOfWeek")]
    return sets, *last


class _Search:
    """One `parseExpression(cron, {currentDate, tz})` followed by a single next()/prev()."""

    def __init__(self, fields: CronFields, tz: str | None):
        self.f, self.tz, self.dst_start, self.dst_end = fields, tz, None, None
        self.sets, self.last_dom, self.last_dow = _index(fields)

    def _shift(self, d: _LDT, reverse: bool, unit: str, n: _LDT | None = None) -> _LDT:
        """`_applyTimezoneShift`: step, and note DST starts/ends for a restricted hour field."""
        n = n or (_subtract if reverse else _add)(d, unit)
        if unit in ("Month", "Day"):
            if n.ts == d.ts:  # jumped into a non-existent date
                if n.c.minute == 0 and n.c.second == 0:
                    n = _add(n, "Hour")
                elif n.c.minute == 59 and n.c.second == 59:
                    n = _subtract(n, "Hour")
            return n
        diff = n.c.hour - d.c.hour
        if len(self.f.hour) != 24:
            if diff == 2:
                self.dst_start = n.c.hour
            elif diff == 0 and n.c.minute == 0 and n.c.second == 0:
                self.dst_end = n.c.hour
        return n

    def _day_matches(self, d: _LDT) -> bool:
        f, sets, day = self.f, self.sets, d.c.day
        dom_match = day in sets["dayOfMonth"] or (
            bool(self.last_dom) and d.plus_cal(days=1).start_of("day").c.month != d.c.month)
        dow_match = d.weekday() in sets["dayOfWeek"]
        if not dow_match and self.last_dow:
            last = d.plus_cal(days=7).start_of("day").c.month != d.c.month
            for expr in self.last_dow:
                if not expr[0].isdigit():
                    raise CronError(f"Invalid last weekday of the month expression: {expr}")
                if d.weekday() == int(expr[0]) % 7 and last:
                    dow_match = True
                    break
        dom_wild = len(f.dayOfMonth) >= _DAYS_IN_MONTH[d.c.month - 1]
        dow_wild = len(f.dayOfWeek) == 8
        if not dom_match and (not dow_match or dow_wild):
            return False
        if dom_wild and not dow_wild and not dow_match:
            return False
        nth = f.nth_day_of_week  # isNthDayMatch (1..5 after parsing)
        if nth > 0 and not (nth == 1 and day < 8):
            return (day - day % 7) // 7 + (1 if day % 7 else 0) == nth
        return True

    def find(self, start_ms: int, reverse: bool) -> int:
        self.z = _zone(self.tz, start_ms)
        d, sets, steps = _LDT(self.z, start_ms), self.sets, 0
        start = d.ts
        while steps < LOOP_LIMIT:
            steps += 1
            hour, second = d.c.hour, d.c.second
            if not self._day_matches(d):
                d = self._shift(d, reverse, "Day")
            elif d.c.month not in sets["month"]:
                d = self._shift(d, reverse, "Month")
            elif hour not in sets["hour"] and self.dst_start != hour:
                self.dst_start = None
                d = self._shift(d, reverse, "Hour")
            elif hour not in sets["hour"] and hour - 1 not in sets["hour"]:
                d = (_subtract if reverse else _add)(d, "Hour")
            elif hour in sets["hour"] and self.dst_end == hour and not reverse:
                self.dst_end = None
                d = self._shift(d, False, "Hour")
            elif d.c.minute not in sets["minute"]:
                ahead = 1 if reverse or second or d.c.microsecond else next(  # batch minutes within the hour
                    (k for k in range(1, 60 - d.c.minute) if d.c.minute + k in sets["minute"]), 60 - d.c.minute)
                target = _LDT(self.z, d.ts + ahead * _MIN) if ahead > 1 else None
                if target is None or target.o != d.o:
                    d = self._shift(d, reverse, "Minute")
                else:
                    steps += ahead - 1
                    d = self._shift(d, False, "Minute", target)
            elif second not in sets["second"] and sets["second"] == {0}:  # batch the per-second steps
                into = second * 1000 + d.c.microsecond // 1000
                steps += (second if reverse else 60 - second) - 1
                d = _LDT(self.z, d.ts - into) if reverse else \
                    self._shift(d, False, "Second", _LDT(self.z, d.ts + _MIN - into))
            elif second not in sets["second"]:
                d = self._shift(d, reverse, "Second")
            elif start == d.ts:  # a match at the start itself is skipped (strictly after / before)
                d = d.start_of("second") if reverse and d.c.microsecond else self._shift(d, reverse, "Second")
            else:
                return d.ts
        raise CronError("Invalid expression, loop limit exceeded")


def next_run(cron: str, tz: str | None, after_ms: int) -> int:
    """`parseExpression(cron, {currentDate, tz}).next()`: first nominal time strictly after `after_ms`
    (its seconds and milliseconds are ignored). tz None means UTC; raises CronError."""
    return _Search(parse_cron(cron), tz).find(after_ms, reverse=False)


def prev_run(cron: str, tz: str | None, before_ms: int) -> int:
    """`.prev()`: last nominal time strictly before `before_ms`. Not always next()'s inverse around DST:
    it skips a spring-forward shifted fire and sees both halves of a repeated hour."""
    return _Search(parse_cron(cron), tz).find(before_ms, reverse=True)


def next_runs(cron: str, tz: str | None, after_ms: int, count: int) -> list[int]:
    """`count` successive nominal times, each a fresh next() from the one before (as the engine does)."""
    return due_times(cron, tz, after_ms, math.inf, count)


def due_times(cron: str, tz: str | None, last_ms: int, now_ms: float, limit: int | None = None) -> list[int]:
    """Every nominal time in (last_ms, now_ms], oldest first, at most `limit` of them."""
    fields, out, t = parse_cron(cron), [], last_ms
    while limit is None or len(out) < limit:
        t = _Search(fields, tz).find(t, reverse=False)
        if t > now_ms:
            break
        out.append(t)
    return out
