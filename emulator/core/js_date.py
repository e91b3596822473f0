"""``new Date(string).getTime()`` as V8 computes it, in plain Python.

Production reads ``delay``/reschedule values with ``new Date(value)`` before trying them as a
duration (contract triggering.md §4.1), so a string V8 accepts as a date is never a duration.
This is a port of V8's date parser (``src/date/dateparser.h``, ``dateparser-inl.h``,
``dateparser.cc``): an ES5 ISO attempt, then the legacy "Safari-compatible" grammar, then
``MakeDay``/``MakeTime``/``TimeClip``. The server's local zone is UTC (production containers run
with TZ unset), so strings without a zone are read as UTC. ``tests/test_js_date.py`` pins it
against a table of V8's answers and, when ``node`` is installed, against V8 itself.
"""

from __future__ import annotations

from .js_date_scanner import (
    AM_PM,
    END,
    INVALID,
    MAX_SIGNIFICANT_DIGITS,
    MONTH_NAME,
    TIME_SEPARATOR,
    TIME_ZONE_NAME,
    WHITESPACE,
    Scanner,
    Token,
)

__all__ = ["parse"]

_NONE = 2**31 - 1  # V8's kNone (kMaxInt): a missing value
_MAX_TIME_MS = 8_640_000_000_000_000
_MAX_TIME_BEFORE_UTC_MS = _MAX_TIME_MS + 864_000_000
_SMI_MAX = 2**31 - 1  # node's V8 has 32-bit Smis


def _between(x: int, lo: int, hi: int) -> bool:
    return lo <= x <= hi


def _is_month(x: int) -> bool:
    return _between(x, 1, 12)


def _is_day(x: int) -> bool:
    return _between(x, 1, 31)


def _is_hour(x: int) -> bool:
    return _between(x, 0, 23)


def _is_minute(x: int) -> bool:
    return _between(x, 0, 59)


class _Day:
    def __init__(self) -> None:
        self.comp: list[int] = []
        self.named_month = _NONE
        self.iso = False

    def add(self, n: int) -> bool:
        if len(self.comp) < 3:
            self.comp.append(n)
            return True
        return False

    def write(self) -> tuple[int, int, int] | None:
        if not self.comp:
            return None
        # Missing components default to 1. V8 pads before it looks at how many it read, so
        # its "one component" and "two components" branches are dead: "1" is 2001-01-01.
        comp = self.comp + [1] * (3 - len(self.comp))
        if self.named_month == _NONE:
            if self.iso or not _is_day(comp[0]):
                year, month, day = comp
            else:
                month, day, year = comp
        else:
            month = self.named_month
            if not _is_day(comp[0]):
                year, day = comp[0], comp[1]
            else:
                day, year = comp[0], comp[1]
        if not self.iso:
            if _between(year, 0, 49):
                year += 2000
            elif _between(year, 50, 99):
                year += 1900
        if abs(year) > _SMI_MAX or not _is_month(month) or not _is_day(day):
            return None
        return year, month - 1, day


class _Time:
    def __init__(self) -> None:
        self.comp: list[int] = []
        self.hour_offset = _NONE

    def empty(self) -> bool:
        return not self.comp

    def expecting(self, n: int) -> bool:
        index = len(self.comp)
        return (index == 1 and _is_minute(n)) or (index == 2 and _is_minute(n)) or (index == 3 and _between(n, 0, 999))

    def add(self, n: int) -> bool:
        if len(self.comp) < 4:
            self.comp.append(n)
            return True
        return False

    def add_final(self, n: int) -> bool:
        if not self.add(n):
            return False
        self.comp += [0] * (4 - len(self.comp))
        return True

    def write(self) -> tuple[int, int, int, int] | None:
        hour, minute, second, ms = self.comp + [0] * (4 - len(self.comp))
        if self.hour_offset != _NONE:
            if not _between(hour, 0, 12):
                return None
            hour = hour % 12 + self.hour_offset
        if not (_is_hour(hour) and _is_minute(minute) and _is_minute(second) and _between(ms, 0, 999)):
            if hour != 24 or minute or second or ms:
                return None
        return hour, minute, second, ms


class _Zone:
    def __init__(self) -> None:
        self.sign = _NONE
        self.hour = _NONE
        self.minute = _NONE

    def set(self, offset_hours: int) -> None:
        self.sign = -1 if offset_hours < 0 else 1
        self.hour = offset_hours * self.sign
        self.minute = 0

    def expecting(self, n: int) -> bool:
        return self.hour != _NONE and self.minute == _NONE and _is_minute(n)

    def is_utc(self) -> bool:
        return self.hour == 0 and self.minute == 0

    def empty(self) -> bool:
        return self.hour == _NONE

    def write(self) -> int | None | bool:
        """Offset in seconds, None for no zone (local time), False when invalid."""
        if self.sign == _NONE:
            return None
        hour = 0 if self.hour == _NONE else self.hour
        minute = 0 if self.minute == _NONE else self.minute
        total = (hour * 3600 + minute * 60) % 2**32  # unsigned arithmetic, as V8 does it
        if total > _SMI_MAX:
            return False
        return -total if self.sign < 0 else total


def _read_ms(token: Token) -> int:
    """The first three significant digits of a numeral, as milliseconds."""
    number, length = token.value, token.length
    if length == 1:
        return number * 100
    if length == 2:
        return number * 10
    if length > 3:
        length = min(length, MAX_SIGNIFICANT_DIGITS)
        return number // 10 ** (length - 3)
    return number


def _es5(scanner: Scanner, day: _Day, time: _Time, zone: _Zone) -> Token:
    """``ParseES5DateTime``: END when done, INVALID when hopeless, else the token to resume at."""
    if scanner.peek().is_sign():
        sign_token = scanner.next()
        if not scanner.peek().is_number(6):
            return sign_token
        year = scanner.next().value
        if sign_token.sign < 0 and year == 0:
            return sign_token
        day.add(sign_token.sign * year)
    elif scanner.peek().is_number(4):
        day.add(scanner.next().value)
    else:
        return scanner.next()
    if scanner.skip_symbol("-"):
        if not scanner.peek().is_number(2) or not _is_month(scanner.peek().value):
            return scanner.next()
        day.add(scanner.next().value)
        if scanner.skip_symbol("-"):
            if not scanner.peek().is_number(2) or not _is_day(scanner.peek().value):
                return scanner.next()
            day.add(scanner.next().value)
    if not scanner.peek().is_keyword(TIME_SEPARATOR):
        if scanner.peek().tag != END:
            return scanner.next()
    else:
        scanner.next()
        invalid = Token(INVALID)
        if not scanner.peek().is_number(2) or not _between(scanner.peek().value, 0, 24):
            return invalid
        hour_is_24 = scanner.peek().value == 24
        time.add(scanner.next().value)
        if not scanner.skip_symbol(":"):
            return invalid
        peek = scanner.peek()
        if not peek.is_number(2) or not _is_minute(peek.value) or (hour_is_24 and peek.value > 0):
            return invalid
        time.add(scanner.next().value)
        if scanner.skip_symbol(":"):
            peek = scanner.peek()
            if not peek.is_number(2) or not _is_minute(peek.value) or (hour_is_24 and peek.value > 0):
                return invalid
            time.add(scanner.next().value)
            if scanner.skip_symbol("."):
                peek = scanner.peek()
                if not peek.is_number() or (hour_is_24 and peek.value > 0):
                    return invalid
                time.add(_read_ms(scanner.next()))
        if scanner.peek().is_z():
            scanner.next()
            zone.set(0)
        elif scanner.peek().is_sign():
            zone.sign = scanner.next().sign
            if scanner.peek().is_number(4):
                hour, minute = divmod(scanner.next().value, 100)
                if not _is_hour(hour) or not _is_minute(minute):
                    return invalid
                zone.hour, zone.minute = hour, minute
            else:
                if not scanner.peek().is_number(2) or not _is_hour(scanner.peek().value):
                    return invalid
                zone.hour = scanner.next().value
                if not scanner.skip_symbol(":"):
                    return invalid
                if not scanner.peek().is_number(2) or not _is_minute(scanner.peek().value):
                    return invalid
                zone.minute = scanner.next().value
        if scanner.peek().tag != END:
            return invalid
    # Date-only forms without an offset are UTC; date-time forms are local time.
    if zone.empty() and time.empty():
        zone.set(0)
    day.iso = True
    return Token(END)


def _legacy(scanner: Scanner, token: Token, day: _Day, time: _Time, zone: _Zone) -> bool:
    """``DateParser::Parse``'s loop over what the ES5 attempt left; False when invalid."""
    has_read_number = bool(day.comp)
    while token.tag != END:
        if token.is_number():
            has_read_number = True
            n = token.value
            if scanner.skip_symbol(":"):
                if scanner.skip_symbol(":"):
                    if not time.empty():
                        return False
                    time.add(n)
                    time.add(0)
                else:
                    if not time.add(n):
                        return False
                    if scanner.peek().is_symbol("."):
                        scanner.next()
            elif scanner.skip_symbol(".") and time.expecting(n):
                time.add(n)
                if not scanner.peek().is_number():
                    return False
                time.add_final(_read_ms(scanner.next()))
            elif zone.expecting(n):
                zone.minute = n
            elif time.expecting(n):
                time.add_final(n)
                peek = scanner.peek()
                if peek.tag not in (END, WHITESPACE) and not peek.is_z() and not peek.is_sign():
                    return False
            else:
                if not day.add(n):
                    return False
                scanner.skip_symbol("-")
        elif token.is_keyword():
            if token.tag == AM_PM and not time.empty():
                time.hour_offset = token.value
            elif token.tag == MONTH_NAME:
                day.named_month = token.value
                scanner.skip_symbol("-")
            elif token.tag == TIME_ZONE_NAME and has_read_number:
                zone.set(token.value)
            else:
                # Garbage words are illegal once a number was read, and must be separated
                # from the first number.
                if has_read_number or scanner.peek().is_number():
                    return False
        elif token.is_sign() and (zone.is_utc() or not time.empty()):
            zone.sign = -1 if token.sign < 0 else 1
            n = length = 0
            if scanner.peek().is_number():
                number = scanner.next()
                n, length = number.value, number.length
            has_read_number = True
            if scanner.peek().is_symbol(":"):
                zone.hour, zone.minute = n, _NONE
            elif length in (1, 2):
                zone.hour, zone.minute = n, 0
            elif length in (3, 4):
                zone.hour, zone.minute = divmod(n, 100)
            else:
                return False
        elif (token.is_sign() or token.is_symbol(")")) and has_read_number:
            return False
        token = scanner.next()
    return True


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 for a proleptic Gregorian date (month 1-12)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _make_day(year: int, month: int, date: int) -> int | None:
    """ECMAScript ``MakeDay`` with a 0-based month; None outside V8's year range."""
    if not (-1_000_000 <= year <= 1_000_000 and -10_000_000 <= month <= 10_000_000):
        return None
    year += month // 12
    month %= 12
    return _days_from_civil(year, month + 1, 1) + date - 1


def parse(text: str) -> int | None:
    """``new Date(text).getTime()`` with the local zone taken as UTC; None where V8 gives NaN."""
    scanner = Scanner(text)
    day, time, zone = _Day(), _Time(), _Zone()
    token = _es5(scanner, day, time, zone)
    if token.tag == INVALID or not _legacy(scanner, token, day, time, zone):
        return None
    ymd, hms, offset = day.write(), time.write(), zone.write()
    if ymd is None or hms is None or offset is False:
        return None
    days = _make_day(*ymd)
    if days is None:
        return None
    hour, minute, second, ms = hms
    value = days * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + ms
    if offset is None:
        if abs(value) > _MAX_TIME_BEFORE_UTC_MS:
            return None
    else:
        value -= offset * 1000
    return value if abs(value) <= _MAX_TIME_MS else None
